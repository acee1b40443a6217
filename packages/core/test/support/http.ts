import type http from 'node:http'

/** Starts `server` on a free port of 127.0.0.1 and resolves its origin (`http://127.0.0.1:<port>`). */
export const listen = (server: http.Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`),
    ),
  )

/** Stops the servers, ending their open (keep-alive) connections too. */
export function closeAll(...servers: Array<http.Server | undefined>): void {
  for (const server of servers) {
    server?.closeAllConnections()
    server?.close()
  }
}
