export { type AttachAuthOptions, attachAuth } from './attachAuth'
