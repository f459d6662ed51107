"""Exports (CSV/XLSX), the per-plan archive (一小区一档案) and their shared table model."""
