from reconciler.sandbox.cli import main

main()
