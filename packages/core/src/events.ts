import mitt from 'mitt'

/** A typed emitter whose `on` returns an unsubscribe function and whose handlers cannot break each other. */
export interface Emitter<E extends Record<string, unknown>> {
  on<K extends keyof E>(type: K, handler: (payload: E[K]) => void): () => void
  emit<K extends keyof E>(type: K, payload: E[K]): void
  clear(): void
}

export function createEmitter<E extends Record<string, unknown>>(): Emitter<E> {
  const bus = mitt<E>()
  let cleared = 0
  return {
    on(type, handler) {
      // A throwing listener must stop neither the others (mitt would) nor the client's own work. One
      // removed while an event is delivered (by an earlier listener, or destroy()) gets it no more, as a
      // DOM listener would not: mitt calls a copy of the list.
      let round = cleared
      const safe = (payload: E[typeof type]) => {
        try {
          if (round === cleared) handler(payload)
        } catch (error) {
          console.error('[latchkey] listener threw', error)
        }
      }
      bus.on(type, safe)
      return () => {
        round = -1
        bus.off(type, safe)
      }
    },
    emit: bus.emit,
    clear: () => {
      cleared++
      bus.all.clear()
    },
  }
}
