"""Tasks with due times, priority and SLA."""
