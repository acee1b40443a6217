/**
 * @typedef {object} DemoUser
 * @property {string} username
 * @property {string} password
 * @property {string} name
 * @property {string} email
 * @property {string[]} roles
 */

/** The demo accounts. Passwords are in plain text because this is a demo, never do this for real. */
/** @type {readonly DemoUser[]} */
export const DEMO_USERS = Object.freeze([
  {
    username: 'alice',
    password: 'wonderland',
    name: 'Alice',
    email: 'alice@example.com',
    roles: ['user', 'admin'],
  },
  { username: 'bob', password: 'builder', name: 'Bob', email: 'bob@example.com', roles: ['user'] },
])

/**
 * Finds the user a username and password belong to.
 * @param {readonly DemoUser[]} users
 * @param {unknown} username
 * @param {unknown} password
 * @returns {DemoUser | undefined}
 */
export function authenticate(users, username, password) {
  const user = users.find((u) => u.username === username)
  return user && typeof password === 'string' && user.password === password ? user : undefined
}

/**
 * @param {readonly DemoUser[]} users
 * @param {string} username
 */
export const findUser = (users, username) => users.find((u) => u.username === username)
