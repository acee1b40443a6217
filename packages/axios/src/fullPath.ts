import type { AxiosRequestConfig } from 'axios'

type FullPathConfig = Pick<AxiosRequestConfig, 'baseURL' | 'url' | 'allowAbsoluteUrls'>

// axios's own test: `scheme://` or `//` makes a url absolute.
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i

/**
 * The URL axios will request, as its `buildFullPath` builds it, without merging the config again.
 * With `originOnly` and an absolute `baseURL`, a relative `url` is left off: `baseURL` + `/` + a path
 * has `baseURL`'s origin, and skipping the join keeps the hot path free of string building. A
 * relative `baseURL` is always joined: `'/'` + `'\\evil.com'` is `/\evil.com`, which browsers send
 * to evil.com. Without `originOnly`, the whole URL.
 */
export function fullPath(config: FullPathConfig, originOnly?: boolean): string {
  const { baseURL, allowAbsoluteUrls } = config
  // axios also takes a URL object.
  const url = String(config.url ?? '')
  if (!baseURL) return url
  // With `allowAbsoluteUrls: false`, axios 1.8.3 and later (1.8.2 in Node) append an absolute url to
  // `baseURL`, older ones send it as it is: '//', no URL, gets the token from neither.
  if (ABSOLUTE.test(url)) return allowAbsoluteUrls === false ? '//' : url
  if (originOnly && ABSOLUTE.test(baseURL)) return baseURL
  // A baseURL of three or more slashes alone, after a scheme or not, names no host, and axios versions
  // join it differently: 1.7 strips two of them (`///` + `evil.com` is `//evil.com`), 1.21 all
  // (`/evil.com`). No token. Read without spaces and controls, which the URL parser strips or drops:
  // ` ///` and `\t///` are `///` there.
  if (/^([a-z][a-z\d+\-.]*:)?\/{3,}$/i.test(baseURL.replace(/[\0- ]/g, ''))) return '//'
  if (!url) return baseURL
  return `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`
}
