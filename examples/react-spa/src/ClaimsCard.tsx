import { useAuthSelector } from '@latchkey/react'
import type { DemoClaims } from './authServer'
import { clockTime } from './format'

const TIME_CLAIMS = new Set(['iat', 'exp', 'nbf'])

function formatClaim(name: string, value: unknown): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') return `${value} (${clockTime(value * 1000)})`
  if (Array.isArray(value)) return value.join(', ')
  return typeof value === 'string' ? value : JSON.stringify(value)
}

export function ClaimsCard() {
  const claims = useAuthSelector((s) => s.claims as DemoClaims | null)
  if (!claims) return null
  return (
    <section className="card" aria-labelledby="claims-title">
      <div className="card-title">
        <h2 id="claims-title">Claims</h2>
      </div>
      <p className="hint">
        The access token's payload, decoded in the browser. latchkey does not verify the signature; the API
        server does.
      </p>
      <table className="claims" data-testid="claims-table">
        <tbody>
          {Object.entries(claims).map(([name, value]) => (
            <tr key={name} data-claim={name}>
              <th scope="row">{name}</th>
              <td>{formatClaim(name, value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
