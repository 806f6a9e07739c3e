"""Lead-list imports: CSV and XLSX files streamed through COPY into staging and merged set-based."""
