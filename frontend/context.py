from accounts.roles import role_of


def navigation(request):
    user = getattr(request, "user", None)
    return {"current_role": role_of(user) if user else None}
