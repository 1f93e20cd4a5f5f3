"""xencfg: rewrite Xen domain configuration files safely."""

__version__ = "0.1.0"
