// Resolved instead of the full protocol API when compiling with customConditions ["sealcam-relay"]:
// it exports nothing, so any import of an opening function fails to compile.
// The relay may only import "@sealcam/protocol/relay-safe".
export {};
