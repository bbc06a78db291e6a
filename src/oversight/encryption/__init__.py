"""Field encryption operations: key status and rotation (`oversight keys ...`)."""
