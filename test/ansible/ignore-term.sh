#!/bin/sh
# Stands in for an ansible-playbook that ignores SIGTERM, to prove the executor's SIGKILL.
trap '' TERM
echo "TASK [Stubborn] ***"
i=0
while [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
