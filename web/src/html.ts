/** JSX-like templates without a build step of their own: htm's tagged templates bound to Preact. */
export { html } from 'htm/preact';
