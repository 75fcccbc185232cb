/**
 * WebTransport carrier entry point: `createWebTransportCarrier` serves `wt://host:port` addresses over
 * WebTransport on HTTP/2 (draft-ietf-webtrans-http2), and on HTTP/3 (draft-ietf-webtrans-http3) as
 * well when the library's optional native addon is installed. See README.md in this directory.
 */
export { createWebTransportCarrier, WT_PATH, type WebTransportCarrierInit } from './carrier.ts'
export { encodeCertHash, formatWtAddress, parseWtAddress, CERT_HASH_BYTES, type WtAddress } from './address.ts'
export { createSelfSignedCertificate, MAX_CERTIFICATE_VALIDITY_MS, type SelfSignedCertificate } from './certificate.ts'
export {
  checkWebTransportLibrary, http3AddonLoads, loadWebTransportLibrary, WebTransportUnavailableError, REQUIRED_PATCH_LEVEL,
  HTTP3_ADDON, type WtLibrary, type WtServer, type WtServerInit, type WtSession, type WtClientInit,
  type WtHttp2ClientInit, type WtHttp3ClientInit, type WtBidirectionalStream, type WtCloseInfo,
} from './library.ts'
export { HTTP3_START_TIMEOUT_MS } from './listener.ts'
