"""Debian's nginx running the project's own site file (deploy/nginx/lianxin.conf) on this
machine: loopback ports, a self-signed certificate, the app hosts given. Used by the
production-shape bench and by the tests that check the site (tests/test_deploy.py)."""

import contextlib
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "lianxin.conf"


def nginx_binary():
    """Debian's nginx (package nginx-light, installed by `make browser`), or None."""
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


def self_signed(directory):
    key, crt = directory / "lianxin.key", directory / "lianxin.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    return key, crt


def trusted_by_chromium(directory):
    """Chromium's switch that trusts the certificate ``self_signed`` made in ``directory``
    (by its public key), as a phone trusts the county's real one. ``ignore_https_errors``
    alone is not enough for the PWA: Chromium then loads the pages but refuses to fetch the
    service worker's script ("An SSL certificate error occurred when fetching the script"),
    so the app never becomes ready offline."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    certificate = x509.load_pem_x509_certificate(Path(directory, "lianxin.crt").read_bytes())
    key = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = base64.b64encode(hashlib.sha256(key).digest()).decode()
    return f"--ignore-certificate-errors-spki-list={digest}"


def nginx_conf(directory, *, upstreams=None, http_port=80, https_port=443):
    """The site inside a whole nginx.conf of its own under ``directory``: a self-signed
    certificate, loopback ports, and the app hosts given (else as the file names them)."""
    import re

    directory = Path(directory)
    key, crt = self_signed(directory)
    text = SITE.read_text()
    text = text.replace("/etc/nginx/tls/lianxin.crt", str(crt))
    text = text.replace("/etc/nginx/tls/lianxin.key", str(key))
    # on loopback ports of its own (IPv6 left out: not every machine has it)
    text = text.replace("    listen [::]:80;\n", "").replace("    listen [::]:443 ssl http2;\n", "")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    if upstreams is not None:
        text = re.sub(r"(upstream lianxin \{\n)(?:    server .*\n)+",
                      lambda m: m.group(1) + "".join(
                          f"    server {address} max_fails=3 fail_timeout=10s;\n"
                          for address in upstreams), text)
    conf = directory / "nginx.conf"
    conf.write_text(f"""pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
worker_processes auto;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
{text}
}}
""")
    return conf


@contextlib.contextmanager
def running_nginx(directory, upstreams, http_port, https_port):
    """nginx with the site in front of ``upstreams``; yields the https base address."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx not found: `make browser` installs Debian's nginx-light")
    conf = nginx_conf(directory, upstreams=upstreams, http_port=http_port,
                      https_port=https_port)
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(directory), "-g",
                                "daemon off;"], stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{https_port}"
    try:
        context = _unverified()
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=2, context=context)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _unverified():
    import ssl

    return ssl._create_unverified_context()  # the loopback's own self-signed certificate
