from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from clusters.models import Cluster


@login_required
def fleet(request):
    return render(request, "frontend/fleet.html", {"clusters": Cluster.objects.all()})
