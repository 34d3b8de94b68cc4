"""Messages to people: in-app notifications (the bell), e-mail (SMTP, sent from a queue with
retries), who receives them, and the working-day calendar reminders are timed by. The passes that
decide whom to remind read who has reported, so they live with the reporting cycle
(``app/reporting/reminder_pass.py``).
"""
