/* @saorsa-gossip/simulator: this layer is planned; its entry point exports nothing yet. */
export {}
