// behaviour without inline scripts
