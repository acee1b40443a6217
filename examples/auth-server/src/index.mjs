export { createAuthServer } from './createAuthServer.mjs'
export { DEMO_USERS } from './users.mjs'
