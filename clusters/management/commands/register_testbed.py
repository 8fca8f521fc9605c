"""Register the clusters of a running local test-bed fleet (`python -m testbed up`), for demos."""

from django.core.management.base import BaseCommand, CommandError

from clusters import services
from clusters.models import Cluster

REGIONS = ["eu-west", "us-east", "ap-south"]


class Command(BaseCommand):
    help = "Register the local demo fleet started by `python -m testbed up`, with its least-privilege user."

    def add_arguments(self, parser):
        parser.add_argument("--workdir", default=None, help="the fleet's work dir (default: testbed's default)")

    def handle(self, *args, workdir, **options):
        from testbed import Fleet

        try:
            fleet = Fleet.load(workdir)
        except (FileNotFoundError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        for index, cluster in enumerate(fleet.clusters):
            name = f"demo-{cluster.name}"
            existing = Cluster.objects.filter(name=name).first()
            if existing:  # a new demo fleet listens on new ports: replace the old entry (audited)
                services.delete_cluster(existing, actor=None)
            credentials = cluster.credentials("cnimgr")
            services.create_cluster(
                actor=None, name=name, display_name=f"Demo {cluster.name}", server=cluster.server,
                ca_bundle=cluster.ca_pem, credential_kind="client-certificate",
                client_certificate=credentials["client_cert_pem"], client_key=credentials["client_key_pem"],
                labels={"env": "demo", "region": REGIONS[index % len(REGIONS)], "testbed": "true"},
                description="Local test-bed cluster (kube-apiserver + kwok fake nodes) started by scripts/serve.sh",
            )  # fmt: skip
            self.stdout.write(f"registered {name} at {cluster.server}")
