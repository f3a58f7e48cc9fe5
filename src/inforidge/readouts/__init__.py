"""Read-outs of an activation dump that need no kernel (linear probe: :mod:`inforidge.readouts.linear_probe`)."""
