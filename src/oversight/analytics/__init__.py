"""KPI analytics: one named query per KPI, a write-aware cache, text and chart renderers."""
