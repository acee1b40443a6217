import mitt from 'mitt'

/** A typed emitter whose `on` returns an unsubscribe function and whose handlers cannot break each other. */
export interface Emitter<E extends Record<string, unknown>> {
  on<K extends keyof E>(type: K, handler: (payload: E[K]) => void): () => void
  emit<K extends keyof E>(type: K, payload: E[K]): void
  clear(): void
}

export function createEmitter<E extends Record<string, unknown>>(): Emitter<E> {
  const bus = mitt<E>()
  return {
    on(type, handler) {
      // A throwing listener must stop neither the others (mitt would) nor the client's own work.
      const safe = (payload: E[typeof type]) => {
        try {
          handler(payload)
        } catch (error) {
          console.error('[latchkey] listener threw', error)
        }
      }
      bus.on(type, safe)
      return () => bus.off(type, safe)
    },
    emit: bus.emit,
    clear: () => bus.all.clear(),
  }
}
