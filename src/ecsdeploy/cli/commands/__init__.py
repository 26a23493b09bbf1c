"""One module per ``ecsdeploy`` command (or small family of commands)."""
