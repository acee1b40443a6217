// React 18's own packages carry no types; the API the React 18 test uses is typed as React 19's.
declare module 'react18' {
  export * from 'react'
}
declare module 'react-dom18/client' {
  export * from 'react-dom/client'
}
declare module 'react-dom18/server' {
  export * from 'react-dom/server'
}
