/// The built-in policy: `config/policy.yaml`, word for word (a test compares them), used
/// when `POLICY_FILE` is unset. It reproduces the services' tiers with the changes its header
/// lists.
public enum DefaultPolicy {
    public static let name = "built-in policy"

    public static let text = """
        # The access policy of ndp-ep-api, rexec-deploy-api and user-pods-backend (docs/policy.md, "Access
        # policy"). This file is the built-in default: the services use it when POLICY_FILE is unset.
        #
        #   entity:
        #     mode:                 public | protected | private (the object's visibility)
        #       operation: [roles]  create | read | update | delete → any one of the roles allows it
        #
        # Roles: Any.Any (anyone, even without a token), User.Any (any valid credential),
        # Endpoint.Member (passes the group gate), Endpoint.Viewer / Writer / Admin (the role tiers),
        # Endpoint.Silo (a pods-backend silo), Object.Creator (created the object), Object.Owner (the
        # object is the caller's). [] denies everyone; a rule left out is denied too.
        #
        # Where this differs from upstream's tiers (docs/specs/ndp-ep.md §3.5):
        # - deleting organizations, datasets and resources needs Object.Creator or Endpoint.Admin
        #   (upstream left four DELETE routes public);
        # - rexec: create needs Endpoint.Member (the EP's /rexec routes asked for the writer tier,
        #   the deploy API behind them only for the gate), terminate Object.Owner;
        # - the policy in force is readable by any valid credential (GET /policy).

        status:                     # the endpoint's description, health and status
          public:    {create: [], read: [Any.Any], update: [], delete: []}        # /, /health, /ready
          protected: {create: [], read: [User.Any], update: [], delete: []}       # /status/*
          private:   {create: [], read: [], update: [], delete: []}

        user:                       # accounts
          public:    {create: [], read: [Any.Any], update: [], delete: []}        # /user/login, /token
          protected: {create: [], read: [], update: [], delete: []}
          private:   {create: [], read: [Endpoint.Member], update: [], delete: []} # /user/info (the caller's own)

        policy:                     # this file, as GET /policy shows it; changed only by editing the file
          public:    {create: [], read: [User.Any], update: [], delete: []}
          protected: {create: [], read: [], update: [], delete: []}
          private:   {create: [], read: [], update: [], delete: []}

        rexec:
          public:                   # where clients reach the broker (/broker-config)
            create: []
            read:   [Any.Any]
            update: []
            delete: []
          protected:                # the endpoint's rexec deployment (/status/rexec)
            create: []
            read:   [Endpoint.Writer]
            update: []
            delete: []
          private:                  # a user's own rexec server (spawn, status, terminate)
            create: [Endpoint.Member]
            read:   [Endpoint.Member]
            update: []
            delete: [Object.Owner]

        organization:
          public:
            create: [Endpoint.Writer]
            read:   [Any.Any]
            update: [Endpoint.Writer]
            delete: [Object.Creator, Endpoint.Admin]
          protected: {create: [], read: [], update: [], delete: []}
          private:   {create: [], read: [], update: [], delete: []}

        dataset:
          public:
            create: [Endpoint.Writer]
            read:   [Any.Any]
            update: [Endpoint.Writer]
            delete: [Object.Creator, Endpoint.Admin]
          protected: {create: [], read: [], update: [], delete: []}
          private:
            create: [Endpoint.Writer]
            read:   [Object.Creator, Endpoint.Admin]
            update: [Object.Creator, Endpoint.Admin]
            delete: [Object.Creator, Endpoint.Admin]

        resource:                   # a resource has its dataset's mode
          public:
            create: [Endpoint.Writer]
            read:   [Any.Any]
            update: [Endpoint.Writer]
            delete: [Object.Creator, Endpoint.Admin]
          protected: {create: [], read: [], update: [], delete: []}
          private:
            create: [Object.Creator, Endpoint.Admin]
            read:   [Object.Creator, Endpoint.Admin]
            update: [Object.Creator, Endpoint.Admin]
            delete: [Object.Creator, Endpoint.Admin]

        service:                    # registered services and the proxy to them
          public:
            create: [Endpoint.Writer]
            read:   [Any.Any]
            update: [Endpoint.Writer]
            delete: [Object.Creator, Endpoint.Admin]
          protected:                # requires_auth
            create: [Endpoint.Writer]
            read:   [User.Any]
            update: [Endpoint.Writer]
            delete: [Object.Creator, Endpoint.Admin]
          private:   {create: [], read: [], update: [], delete: []}

        storage:                    # S3 buckets and objects: writers only, as upstream
          public:
            create: [Endpoint.Writer]
            read:   [Endpoint.Writer]
            update: [Endpoint.Writer]
            delete: [Endpoint.Writer]
          protected: {create: [], read: [], update: [], delete: []}
          private:   {create: [], read: [], update: [], delete: []}

        access_request:             # a user's request to join the endpoint
          public:    {create: [], read: [], update: [], delete: []}
          protected: {create: [], read: [], update: [], delete: []}
          private:
            create: [User.Any]
            read:   [Endpoint.Admin]
            update: [Endpoint.Admin]  # approve, reject
            delete: [Endpoint.Admin]

        job:                        # batch jobs and cronjobs
          public:    {create: [], read: [Any.Any], update: [], delete: []}        # profiles
          protected: {create: [], read: [], update: [], delete: []}
          private:
            create: [Endpoint.Member]
            read:   [Object.Owner]
            update: [Object.Owner]
            delete: [Object.Owner]

        staging:                    # data-staging jobs
          public:    {create: [], read: [Any.Any], update: [], delete: []}        # the allowed methods
          protected: {create: [], read: [Endpoint.Admin], update: [], delete: []} # the staging configuration
          private:
            create: [Endpoint.Member]
            read:   [Object.Owner, Endpoint.Admin]
            update: []
            delete: [Object.Owner, Endpoint.Admin]

        pod:                        # user pods (user-pods-backend)
          public:    {create: [], read: [], update: [], delete: []}
          protected:                # every user's pods at once: IP → owner, delete_all_user, clean_all_unused
            create: []
            read:   [Endpoint.Silo, Endpoint.Admin]
            update: []
            delete: [Endpoint.Admin]
          private:                  # one user's pods; a silo acts for the user it names
            create: [Object.Owner, Endpoint.Admin]
            read:   [Object.Owner, Endpoint.Admin]
            update: [Object.Owner, Endpoint.Admin]
            delete: [Object.Owner, Endpoint.Admin]

        """
}
