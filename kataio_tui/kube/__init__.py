"""Platform adapter for Kubernetes, below both the checks and the runners: kubeconfig resolution
(kubeconfig.py), connecting to the API server with every failure explained (connect.py), and why a
pod did not run (diagnosis.py)."""
