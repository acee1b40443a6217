export type { UseAuthReturn } from './createAuthPlugin'
export { createAuthPlugin } from './createAuthPlugin'
export { useAuth } from './useAuth'
