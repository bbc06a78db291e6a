"""The HTTP edge: client address, security headers, CORS, IP allowlists, body size, rate limits."""
