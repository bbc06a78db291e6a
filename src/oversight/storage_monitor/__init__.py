"""What the remote storage monitor keeps: `StorageSnapshot` (one row per watched path and
day). The monitor itself — the scan, the gauges, the job and `oversight storage` — is in
`oversight.backup` (`storage_monitor`, `storage_commands`), above the model registry."""
