/**
 * The transport protocol membership speaks (SPEC.md section 5.9): HyParView and SWIM messages of
 * section 6, routed by this name on the 'mship' stream class, which carries nothing slower.
 */
export const MEMBERSHIP_PROTOCOL = Object.freeze({ name: '/saorsa/membership/1', streamClass: 'mship' } as const)
