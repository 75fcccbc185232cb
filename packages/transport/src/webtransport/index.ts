/**
 * WebTransport carrier entry point: `createWebTransportCarrier` serves `wt://host:port` addresses over
 * WebTransport on HTTP/2 (draft-ietf-webtrans-http2). See README.md in this directory for the design.
 */
export { createWebTransportCarrier, WT_PATH, type WebTransportCarrierInit } from './carrier.ts'
export { createSelfSignedCertificate, MAX_CERTIFICATE_VALIDITY_MS, type SelfSignedCertificate } from './certificate.ts'
export { checkWebTransportLibrary, loadWebTransportLibrary, WebTransportUnavailableError, REQUIRED_PATCH_LEVEL } from './library.ts'
