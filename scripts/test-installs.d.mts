// Types of test-installs.mjs for the TypeScript tests and vitest.config.ts.
export const REPO: string
export const RUNNERS: readonly string[]
export const INSTALLS_DIR: string
export const QUIC_VERSION: string
export const QUIC_ENTRY: string
export function withLock<T>(name: string, work: () => T | Promise<T>): Promise<T>
export function buildInputsHash(): string
export function ensureBuild(): Promise<void>
export function stampBuild(): void
export function packFlakeline(): string
export function runnerDir(name: string): string
export function prepareRunners(names?: readonly string[]): Promise<string>
export function prepareQuic(): Promise<void>
