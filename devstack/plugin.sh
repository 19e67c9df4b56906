#!/bin/bash
# devstack plugin for heat_watch: installs it, writes heat_watch.conf,
# creates and migrates the watch database, makes the credential key (local
# auth backend), registers the CloudWatch endpoint in Keystone, runs the
# enabled daemons; with heat-watch-api enabled, also the REST API under uwsgi
# (registered as metering and alarming, tokens checked by keystonemiddleware
# as the heat_watch service user); with heat-watch-orchestrator enabled, the
# orchestrator on its own database with the nova compute driver, its /v1 API
# registered as the orchestration service; unstack stops them, clean removes
# what stack made.

function is_heat_watch_enabled {
    is_service_enabled $HEAT_WATCH_SERVICES
}

function install_heat_watch {
    setup_develop $HEAT_WATCH_DIR
    if is_service_enabled heat-watch-api; then
        pip_install uwsgi
    fi
}

function configure_heat_watch {
    sudo install -d -o $STACK_USER $HEAT_WATCH_CONF_DIR $HEAT_WATCH_STATE_PATH
    rm -f $HEAT_WATCH_CONF
    iniset $HEAT_WATCH_CONF DEFAULT state_path $HEAT_WATCH_STATE_PATH
    iniset $HEAT_WATCH_CONF DEFAULT debug $ENABLE_DEBUG_LOG_LEVEL
    iniset_rpc_backend heat_watch $HEAT_WATCH_CONF
    iniset $HEAT_WATCH_CONF watch_database connection \
        $(database_connection_url heat_watch)
    iniset $HEAT_WATCH_CONF cloudwatch_api bind_port $HEAT_WATCH_CLOUDWATCH_PORT
    iniset $HEAT_WATCH_CONF cloudwatch_api auth_backend $HEAT_WATCH_AUTH_BACKEND
    if [[ "$HEAT_WATCH_AUTH_BACKEND" == "keystone" ]]; then
        iniset $HEAT_WATCH_CONF ec2authtoken auth_uri $KEYSTONE_SERVICE_URI/v3
    fi
    iniset $HEAT_WATCH_CONF credentials encryption_key_file \
        $HEAT_WATCH_STATE_PATH/credential.key
    if [[ -n "$HEAT_WATCH_COORDINATION_URL" ]]; then
        iniset $HEAT_WATCH_CONF coordination backend_url $HEAT_WATCH_COORDINATION_URL
    fi
    if is_service_enabled heat-watch-api; then
        configure_heat_watch_rest_api
    fi
    if is_service_enabled heat-watch-orchestrator; then
        configure_heat_watch_orchestrator
    fi
}

# The orchestrator: its own database, servers through Nova, the URLs it puts
# in pre-signed webhooks and in instances' agent configuration.
function configure_heat_watch_orchestrator {
    iniset $HEAT_WATCH_CONF orchestration_database connection \
        $(database_connection_url heat_watch_orchestration)
    iniset $HEAT_WATCH_CONF orchestration compute_driver $HEAT_WATCH_COMPUTE_DRIVER
    iniset $HEAT_WATCH_CONF orchestration api_endpoint "$(heat_watch_rest_api_url)"
    iniset $HEAT_WATCH_CONF orchestration cloudwatch_endpoint \
        "$HEAT_WATCH_SERVICE_PROTOCOL://$SERVICE_HOST:$HEAT_WATCH_CLOUDWATCH_PORT/v1"
    if [[ "$HEAT_WATCH_COMPUTE_DRIVER" == "nova" ]]; then
        iniset $HEAT_WATCH_CONF nova auth_url $KEYSTONE_SERVICE_URI/v3
        iniset $HEAT_WATCH_CONF nova username $HEAT_WATCH_NOVA_USER
        iniset $HEAT_WATCH_CONF nova password "$ADMIN_PASSWORD"
        iniset $HEAT_WATCH_CONF nova project_name $HEAT_WATCH_NOVA_PROJECT
        iniset $HEAT_WATCH_CONF nova region_name $REGION_NAME
        if [[ -n "$HEAT_WATCH_NOVA_NETWORK" ]]; then
            iniset $HEAT_WATCH_CONF nova network $HEAT_WATCH_NOVA_NETWORK
        fi
    fi
}

function heat_watch_rest_api_url {
    echo "$HEAT_WATCH_SERVICE_PROTOCOL://$SERVICE_HOST:$HEAT_WATCH_API_PORT"
}

# The REST API: keystonemiddleware (or noauth without Keystone) and the uwsgi
# ini that serves heat_watch.wsgi.api, which reads HEAT_WATCH_CONFIG_FILES.
function configure_heat_watch_rest_api {
    if is_service_enabled keystone; then
        iniset $HEAT_WATCH_CONF api auth_strategy keystone
        configure_keystone_authtoken_middleware $HEAT_WATCH_CONF $HEAT_WATCH_SERVICE_USER
    else
        iniset $HEAT_WATCH_CONF api auth_strategy noauth
    fi
    rm -f $HEAT_WATCH_API_UWSGI_CONF
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi module heat_watch.wsgi.api:application
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi http-socket ${SERVICE_LISTEN_ADDRESS:-0.0.0.0}:$HEAT_WATCH_API_PORT
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi env HEAT_WATCH_CONFIG_FILES=$HEAT_WATCH_CONF
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi master true
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi processes $HEAT_WATCH_API_WORKERS
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi threads $HEAT_WATCH_API_THREADS
    # Threads without the GIL held between requests; each worker builds its
    # own application (and AMQP connection) after the fork.
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi enable-threads true
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi lazy-apps true
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi die-on-term true
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi need-app true
    iniset $HEAT_WATCH_API_UWSGI_CONF uwsgi buffer-size 65535
}

function create_heat_watch_accounts {
    if is_service_enabled keystone && is_service_enabled heat-watch-api-cloudwatch; then
        get_or_create_service "heat-watch-cloudwatch" "cloudwatch" \
            "CloudWatch-compatible metrics and alarms"
        get_or_create_endpoint "cloudwatch" "$REGION_NAME" \
            "$HEAT_WATCH_SERVICE_PROTOCOL://$SERVICE_HOST:$HEAT_WATCH_CLOUDWATCH_PORT/v1"
    fi
    if is_service_enabled keystone && is_service_enabled heat-watch-api; then
        create_service_user $HEAT_WATCH_SERVICE_USER
        # The types python-ceilometerclient (metering) and aodhclient
        # (alarming) look up; both speak /v2 under the same root.
        get_or_create_service "heat-watch-metering" "metering" \
            "heat_watch REST API: meters, samples, statistics"
        get_or_create_endpoint "metering" "$REGION_NAME" "$(heat_watch_rest_api_url)"
        get_or_create_service "heat-watch-alarming" "alarming" \
            "heat_watch REST API: alarms and their history"
        get_or_create_endpoint "alarming" "$REGION_NAME" "$(heat_watch_rest_api_url)"
        if is_service_enabled heat-watch-orchestrator; then
            # What python-heatclient and `openstack stack` look up.
            get_or_create_service "heat-watch-orchestration" "orchestration" \
                "heat_watch orchestration: Heat's v1 API"
            get_or_create_endpoint "orchestration" "$REGION_NAME" \
                "$(heat_watch_rest_api_url)/v1/\$(project_id)s"
        fi
    fi
}

function init_heat_watch {
    recreate_database heat_watch
    if is_service_enabled heat-watch-orchestrator; then
        recreate_database heat_watch_orchestration
    fi
    # Migrates every database: the watch one and, when configured, the
    # orchestrator's.
    $HEAT_WATCH_BIN_DIR/heat-watch-manage --config-file $HEAT_WATCH_CONF db_sync
    if [[ "$HEAT_WATCH_AUTH_BACKEND" == "local" ]]; then
        $HEAT_WATCH_BIN_DIR/heat-watch-manage --config-file $HEAT_WATCH_CONF \
            credentials key-create
    fi
}

# The one place that says how the API runs (a uwsgi application later).
function start_heat_watch_api {
    run_process heat-watch-api-cloudwatch \
        "$HEAT_WATCH_BIN_DIR/heat-watch-api-cloudwatch --config-file $HEAT_WATCH_CONF"
}

function start_heat_watch {
    if is_service_enabled heat-watch-engine; then
        run_process heat-watch-engine \
            "$HEAT_WATCH_BIN_DIR/heat-watch-engine --config-file $HEAT_WATCH_CONF"
    fi
    if is_service_enabled heat-watch-notifier; then
        run_process heat-watch-notifier \
            "$HEAT_WATCH_BIN_DIR/heat-watch-notifier --config-file $HEAT_WATCH_CONF"
    fi
    if is_service_enabled heat-watch-api-cloudwatch; then
        start_heat_watch_api
    fi
    if is_service_enabled heat-watch-orchestrator; then
        run_process heat-watch-orchestrator \
            "$HEAT_WATCH_BIN_DIR/heat-watch-orchestrator --config-file $HEAT_WATCH_CONF"
    fi
    if is_service_enabled heat-watch-api; then
        run_process heat-watch-api \
            "$HEAT_WATCH_BIN_DIR/uwsgi --procname-prefix heat-watch-api --ini $HEAT_WATCH_API_UWSGI_CONF"
    fi
}

function explain_heat_watch_credentials {
    local endpoint="$HEAT_WATCH_SERVICE_PROTOCOL://$SERVICE_HOST:$HEAT_WATCH_CLOUDWATCH_PORT/v1"
    if [[ "$HEAT_WATCH_AUTH_BACKEND" == "keystone" ]]; then
        echo "heat_watch: the CloudWatch API at $endpoint verifies signatures with Keystone."
        echo "heat_watch: make EC2 credentials for a user and project first, e.g.:"
        echo "heat_watch:   openstack ec2 credentials create --project demo --user demo"
    else
        echo "heat_watch: the CloudWatch API at $endpoint uses its own credential store:"
        echo "heat_watch:   $HEAT_WATCH_BIN_DIR/heat-watch-manage --config-file $HEAT_WATCH_CONF credentials create --project-id PROJECT"
    fi
}

function stop_heat_watch {
    local service
    for service in heat-watch-api heat-watch-api-cloudwatch heat-watch-orchestrator \
            heat-watch-notifier heat-watch-engine; do
        if is_service_enabled $service; then
            stop_process $service
        fi
    done
}

function cleanup_heat_watch {
    sudo rm -rf $HEAT_WATCH_CONF_DIR $HEAT_WATCH_STATE_PATH
}

if is_heat_watch_enabled; then
    HEAT_WATCH_BIN_DIR=$(get_python_exec_prefix)

    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing heat_watch"
        install_heat_watch
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring heat_watch"
        configure_heat_watch
        create_heat_watch_accounts
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initialising and starting heat_watch"
        init_heat_watch
        start_heat_watch
        explain_heat_watch_credentials
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_heat_watch
    fi
fi

# Whatever is enabled now, remove what an earlier stack made.
if [[ "$1" == "clean" ]]; then
    cleanup_heat_watch
fi
