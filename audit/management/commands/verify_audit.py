from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify that the audit trail's hash chain is intact."

    def handle(self, *args, **options):
        intact, checked, problem = verify_chain()
        if not intact:
            raise CommandError(f"audit trail NOT intact after {checked} events: {problem}")
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {checked} events verified"))
