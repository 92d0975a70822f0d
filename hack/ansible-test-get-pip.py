# Stand-in for the get-pip.py bootstrap script that ansible-test downloads from
# ci-files.testing.ansible.com (not reachable here). ansible-test runs it inside a fresh
# virtualenv as `get_pip_<version>.py [pip options] pip==<version> --no-setuptools --no-wheel`;
# this does the same with the standard library's ensurepip and then pip from PyPI.
# hack/test.sh copies it to ~/.ansible/test/cache/get_pip_<version>.py.
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
# In a subprocess: ensurepip.bootstrap() in-process sets PIP_CONFIG_FILE=/dev/null, which would
# hide the machine's pip configuration (index, CA bundle) from the pip install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
