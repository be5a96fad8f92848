// Resolved instead of the full protocol API when code runs under the "sealcam-relay" condition.
throw new Error(
  'The relay must not import the opening API of @sealcam/protocol; import "@sealcam/protocol/relay-safe" instead.',
);
