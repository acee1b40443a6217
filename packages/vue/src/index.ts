export type { AuthPluginOptions, UseAuthReturn } from './createAuthPlugin'
export { createAuthPlugin } from './createAuthPlugin'
export { useAuth } from './useAuth'
