/**
 * Why a numeric setting is invalid, or null when it is fine.
 * @param {'accessTtl' | 'refreshTtl' | 'grace' | 'refreshDelay'} key
 * @param {unknown} value
 * @returns {string | null}
 */
export function checkSetting(key, value) {
  const zeroOk = key === 'grace' || key === 'refreshDelay'
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && (zeroOk || value > 0)) return null
  return `${key} must be a ${zeroOk ? 'non-negative' : 'positive'} number of ${key === 'refreshDelay' ? 'ms' : 'seconds'}`
}
