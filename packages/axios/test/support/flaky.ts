import type { AxiosError, AxiosInstance } from 'axios'
import { afterEach } from 'vitest'
import { useTokenApi } from '../../../core/test/support/http'

/**
 * The API of `useTokenApi` for a test file, where each path added to `flaky` answers 503 once (a flaky
 * upstream) before the token is even looked at.
 */
export function useFlakyTokenApi() {
  const flaky = new Set<string>()
  const server = useTokenApi({
    answer: (hit, res) => {
      if (!flaky.delete(hit.url)) return false
      res.writeHead(503).end()
      return true
    },
  })
  afterEach(() => flaky.clear())
  return { server, flaky }
}

/**
 * What axios-retry does: on a 5xx, wait (`backoff`, as its exponential backoff does), then send the
 * failed request's config again through the instance, once.
 */
export const retryOn5xx = (api: AxiosInstance, backoff: () => Promise<unknown> = async () => {}) =>
  api.interceptors.response.use(undefined, async (error: AxiosError) => {
    const config = error.config as (typeof error.config & { retried?: boolean }) | undefined
    if (!config || config.retried || (error.response?.status ?? 0) < 500) throw error
    config.retried = true
    await backoff()
    return api(config)
  })
