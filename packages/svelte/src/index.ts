export type { AuthStore } from './authStore'
export { authStore } from './authStore'
