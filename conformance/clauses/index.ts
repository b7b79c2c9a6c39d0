// Loading this module registers every clause (each file calls clause() at load time).
import './runtime';
import './hooks';
import './defaults';
import './process';
import './mounts';
import './namespaces';
import './devices';
import './cgroups';
import './security';
import './features';
import './terminal';
