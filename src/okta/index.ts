/**
 * The Okta contract: the rules of Okta's APIs that both the harness and the emulator apply, held once so the
 * two cannot disagree. The harness checks its input with it before anything touches an org; the emulator
 * checks requests with it. It imports neither side.
 */
export * from './issues.ts';
export * from './time.ts';
export * from './ip.ts';
export * from './jwk.ts';
export * from './risk-providers.ts';
export * from './risk-events.ts';
/** The SSF receiver's rules, as a namespace: its names (`RISK_LEVELS`, …) are SSF's, not the Risk APIs'. */
export * as ssf from './ssf.ts';
