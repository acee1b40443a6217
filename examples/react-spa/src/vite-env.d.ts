/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The example auth server. Default `http://127.0.0.1:4000`. */
  readonly VITE_AUTH_URL?: string
}
