"""Register the clusters of a running local test-bed fleet (`python -m testbed up`), for demos."""

import json
import os
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from clusters import services
from clusters.models import Cluster


class Command(BaseCommand):
    help = "Register the local demo fleet started by `python -m testbed up`, with its least-privilege user."

    def add_arguments(self, parser):
        default = os.environ.get("CNIMGR_TESTBED_WORKDIR", str(Path.home() / ".local/share/cnimgr/testbed"))
        parser.add_argument("--workdir", default=default)

    def handle(self, *args, workdir, **options):
        state_file = Path(workdir) / "fleet.json"
        if not state_file.exists():
            raise CommandError(f"no fleet at {workdir}: start one with `python -m testbed up`")
        state = json.loads(state_file.read_text())
        for index, cluster in enumerate(state["clusters"]):
            kubeconfig = Path(cluster["kubeconfigs"]["cnimgr"]).read_text()
            name = f"demo-{cluster['name']}"
            Cluster.objects.filter(name=name).delete()  # ports change between demo fleets
            services.import_kubeconfig(
                actor=None, text=kubeconfig, import_all=True, name_prefix="demo-",
                labels={"env": "demo", "region": ["eu-west", "us-east", "ap-south"][index % 3], "testbed": "true"},
            )  # fmt: skip
            self.stdout.write(f"registered {name} ({yaml.safe_load(kubeconfig)['clusters'][0]['cluster']['server']})")
