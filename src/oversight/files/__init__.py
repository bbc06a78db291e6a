"""Attachments on service requests: streamed uploads checked by content, previews, signed
expiring download links, and a hot (local) / cold (remote `Storage`) tier moved by a job."""
