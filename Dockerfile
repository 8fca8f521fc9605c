FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=cnimgr.settings.production \
    CNIMGR_DATA_DIR=/var/lib/cnimgr
RUN useradd --system --create-home --home-dir /home/cnimgr cnimgr \
 && mkdir -p /var/lib/cnimgr && chown cnimgr /var/lib/cnimgr
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir -e .
COPY . .
# collectstatic needs settings to import; it does not touch the database or the keys' values.
RUN DJANGO_SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only \
    CNIMGR_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    python manage.py collectstatic --no-input -v 0
USER cnimgr
EXPOSE 8000
CMD ["gunicorn", "cnimgr.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
