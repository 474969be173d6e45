"""Pages that explain each problem type a response's ``type`` names (RFC 9457 §3.1.1)."""
