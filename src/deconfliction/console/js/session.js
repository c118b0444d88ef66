// The member's token, kept in this tab's session storage only: never in a URL, never in local
// storage (which outlives the tab), forgotten on sign-out.

const KEY = "deconfliction.token";

export function token() {
  return sessionStorage.getItem(KEY);
}

export function keep(value) {
  sessionStorage.setItem(KEY, value);
}

export function forget() {
  sessionStorage.removeItem(KEY);
}
