import { useSyncExternalStore } from 'react'
import { eventLog } from './eventLog'
import { logTime } from './format'

export function EventLog() {
  const entries = useSyncExternalStore(eventLog.subscribe, eventLog.getSnapshot)
  return (
    <section className="card" aria-labelledby="log-title">
      <div className="card-title">
        <h2 id="log-title">Event log</h2>
        <button type="button" className="small" onClick={eventLog.clear} disabled={entries.length === 0}>
          Clear
        </button>
      </div>
      <p className="hint">
        Every event the client emits (<code>auth.on(…)</code>), newest first.
      </p>
      <ol className="log" data-testid="event-log">
        {entries.length === 0 && <li className="muted empty">No events yet. Sign in to start.</li>}
        {entries.map((e) => (
          <li key={e.id} data-testid="event-log-entry" data-type={e.type}>
            <time>{logTime(e.time)}</time>
            <span className="event" data-type={e.type}>
              {e.type}
            </span>
            <span className="detail">{e.detail}</span>
          </li>
        ))}
      </ol>
    </section>
  )
}
