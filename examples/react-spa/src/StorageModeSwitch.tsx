import { STORAGE_MODES, type StorageMode, setStorageMode } from './session'

export function StorageModeSwitch({ mode }: { mode: StorageMode }) {
  return (
    <section className="card" aria-labelledby="storage-title">
      <div className="card-title">
        <h2 id="storage-title">Where the session is kept</h2>
      </div>
      <label className="inline">
        Storage
        <select
          value={mode}
          onChange={(e) => setStorageMode(e.target.value as StorageMode)}
          data-testid="storage-mode"
        >
          {Object.keys(STORAGE_MODES).map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">
        {STORAGE_MODES[mode]} Switching signs you out and starts a new client; reload the page to see what
        survives.
      </p>
    </section>
  )
}
